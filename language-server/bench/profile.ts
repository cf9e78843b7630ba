/**
 * Profiling driver for the analysis path: parseFlow + analyze on a generated flow, repeated.
 * Not a benchmark (the runner only picks *.bench.ts); use it to see where time goes:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=sessionflow-source --import tsx \
 *     language-server/bench/profile.ts [yaml|json] [steps] [runs]
 * then open the .cpuprofile in Chrome DevTools (Performance) or VS Code.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { AdapterRegistry, parseFlow } from '@sessionflow/sdk';
import { analyze } from '../src/index.js';
import { generateFlow } from './generate-flow.js';

const [kind = 'yaml', stepsArg = '5000', runsArg = '6'] = process.argv.slice(2);
const steps = Math.max(1, Math.min(Number(stepsArg) || 5000, 100000));
const runs = Math.max(1, Math.min(Number(runsArg) || 6, 100));
const flow = generateFlow(steps);
const text = kind === 'json' ? JSON.stringify(flow, null, 2) : stringify(flow, { lineWidth: 0 });
const registry = await AdapterRegistry.load({ projectDir: dirname(dirname(dirname(fileURLToPath(import.meta.url)))) });
let findings = 0;
for (let i = 0; i < runs; i++) findings += analyze(parseFlow(text), { adapters: registry }).length;
console.log(`profiled ${runs} runs of parseFlow + analyze on a ${steps}-step ${kind} flow (${findings} findings)`);
