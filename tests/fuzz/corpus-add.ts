/**
 * Adds the reproduced crash cases of campaign result files to the committed corpus:
 *   node --conditions=@parley/source --import tsx tests/fuzz/corpus-add.ts bench/results/fuzz-….json…
 */
import { readFileSync } from 'node:fs';
import { type RunResult, saveToCorpus } from './driver.js';

for (const file of process.argv.slice(2)) {
  const run = JSON.parse(readFileSync(file, 'utf8')) as {
    commit: string;
    dirty: boolean;
    results: RunResult[];
  };
  for (const result of run.results) {
    const added = saveToCorpus(result, `${run.commit.slice(0, 10)}${run.dirty ? ' (dirty)' : ''}`);
    console.log(`${file}: ${result.fuzzer}: ${added} cases added`);
  }
}
