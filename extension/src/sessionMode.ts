/** The status bar text for a flow's session mode (no VS Code API: unit-tested in node). */
import type { FlowDocument } from '@sessionflow/sdk';

const MODE_HELP: Record<string, string> = {
  none: 'no cookies are kept between calls: every call authenticates',
  onExchange: 'one HTTP session (cookie jar) per exchange, shared by all its calls',
  onIntegrationFlow: 'one HTTP session shared by every exchange of the flow',
};

export interface SessionModeInfo {
  text: string;
  tooltip: string;
  /** Offset of the `sessionHandling` value, when present. */
  offset?: number;
}

export function describeSessionMode(parsed: FlowDocument): SessionModeInfo {
  const node = parsed.flow.runtime?.sessionHandling;
  if (parsed.isLegacy) {
    return { text: 'none (legacy flow)', tooltip: 'Format version 1 flows predate session handling and run with `none`. Run "Sessionflow: Migrate Flow to Format 2".', offset: node?.range.start };
  }
  if (node === undefined) {
    return { text: 'none', tooltip: `runtime.sessionHandling is not set (default none): ${MODE_HELP.none}` };
  }
  const help = MODE_HELP[node.value];
  if (help === undefined) {
    return { text: `${node.value}?`, tooltip: `"${node.value}" is not a session mode (none, onExchange, onIntegrationFlow)`, offset: node.range.start };
  }
  return { text: node.value, tooltip: `runtime.sessionHandling: ${node.value}: ${help}`, offset: node.range.start };
}
