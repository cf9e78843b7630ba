/**
 * Types of the designer's edit operations. An operation is plain JSON (it crosses the
 * webview ↔ extension-host boundary); `computeEdits()` turns it into minimal text edits.
 */
import type { Document } from 'yaml';
import type { NodePath, SessionHandling } from '@sessionflow/sdk';
import type { TextEdit } from '../analysis/types.js';

export type { TextEdit };

/** What the operations read: the text and its parsed yaml Document (a `FlowDocument` qualifies). */
export interface EditSource {
  text: string;
  yaml: Document.Parsed;
}

/** A JSON value to write into the file. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A step as plain data, e.g. `{ id: 'post', call: 'erp', method: 'POST' }`. */
export type StepValue = { [key: string]: JsonValue };

export interface AddStepOp {
  op: 'addStep';
  /** Path of the step list, e.g. `['steps']` or `['steps', 1, 'split', 'steps']`. */
  list: NodePath;
  /** Position in the list; default: append. */
  index?: number;
  step: StepValue;
}

export interface DeleteStepOp {
  op: 'deleteStep';
  /** Path of the step, e.g. `['steps', 2]`. */
  path: NodePath;
}

export interface MoveStepOp {
  op: 'moveStep';
  path: NodePath;
  /** Target index in the same list (the step's index after the move). */
  to: number;
}

export interface WrapInSplitOp {
  op: 'wrapInSplit';
  list: NodePath;
  /** First and last index (inclusive) of the sibling steps to wrap. */
  from: number;
  to: number;
  split: { path: string; parallel?: boolean; id?: string };
}

export interface AddReceiverOp {
  op: 'addReceiver';
  name: string;
  fields: { [key: string]: JsonValue };
}

export interface SetCallTargetOp {
  op: 'setCallTarget';
  /** Path of a `call` or `send` step. */
  path: NodePath;
  receiver: string;
}

export interface SetFieldOp {
  op: 'setField';
  path: NodePath;
  value: JsonValue;
}

export interface RemoveFieldOp {
  op: 'removeField';
  path: NodePath;
}

export interface SetSessionModeOp {
  op: 'setSessionMode';
  mode: SessionHandling;
}

export type EditOperation =
  | AddStepOp
  | DeleteStepOp
  | MoveStepOp
  | WrapInSplitOp
  | AddReceiverOp
  | SetCallTargetOp
  | SetFieldOp
  | RemoveFieldOp
  | SetSessionModeOp;

export type EditErrorCode = 'SF_EDIT_SYNTAX' | 'SF_EDIT_PATH' | 'SF_EDIT_SHAPE' | 'SF_EDIT_ARGUMENT' | 'SF_EDIT_LAYOUT';

/** An operation that cannot be applied to this text; `message` names what and where. */
export class EditError extends Error {
  constructor(
    readonly code: EditErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EditError';
  }
}
