/**
 * Designer edit operations: pure functions from a flow's text (and its yaml Document) plus an
 * operation to minimal text edits. Used by the VS Code designer; the edits never re-stringify
 * the file, so comments, blank lines, key order and unknown keys survive.
 */
export type {
  EditSource,
  JsonValue,
  StepValue,
  EditOperation,
  AddStepOp,
  DeleteStepOp,
  MoveStepOp,
  WrapInSplitOp,
  AddReceiverOp,
  SetCallTargetOp,
  SetFieldOp,
  RemoveFieldOp,
  SetSessionModeOp,
  EditErrorCode,
} from './types.js';
export { EditError } from './types.js';
export {
  editSource,
  computeEdits,
  editText,
  addStep,
  deleteStep,
  moveStep,
  wrapInSplit,
  addReceiver,
  setCallTarget,
  setField,
  removeField,
  setSessionMode,
} from './operations.js';
export { applyTextEdits, styleOf, type Style } from './text.js';
