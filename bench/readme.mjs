#!/usr/bin/env node
// Copies the summary of bench/results/latest.json into README.md, between the markers
// <!-- bench:begin --> and <!-- bench:end --> (nothing else in README changes).
// Usage: node bench/readme.mjs [--json FILE] [--readme FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { opt } from './lib/measure.mjs';
import { renderSummary } from './lib/report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const jsonFile = opt('json', join(ROOT, 'bench/results/latest.json'));
const readmeFile = opt('readme', join(ROOT, 'README.md'));
const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

const r = JSON.parse(readFileSync(jsonFile, 'utf8'));
if (r.quick) throw new Error(`${jsonFile} is a --quick run: its numbers mean nothing; run npm run bench first`);
const readme = readFileSync(readmeFile, 'utf8');
const b = readme.indexOf(BEGIN);
const e = readme.indexOf(END);
if (b < 0 || e < b) throw new Error(`${readmeFile} has no ${BEGIN} ... ${END} block`);
const providers = r.providers.map((p) => `\`${p.name}\` ${p.available ? 'measured' : 'unavailable in this build'}`).join(', ');
const block = [
  BEGIN,
  `Run of ${r.date.slice(0, 10)}: Node ${r.node} (OpenSSL ${r.openssl}), ${r.cpu}, ${r.params.rounds} interleaved rounds; providers: ${providers}.`,
  '',
  renderSummary(r).trimEnd(),
  END,
].join('\n');
writeFileSync(readmeFile, readme.slice(0, b) + block + readme.slice(e + END.length));
process.stderr.write(`updated ${readmeFile}\n`);
