// jieba with its default dictionary, for the modules that segment Chinese (category-suggest/, search/). The
// dictionary is read here from @node-rs/jieba's dict.txt and let go once jieba has built its own from it: importing
// `@node-rs/jieba/dict` instead reads dict.txt and idf.txt (11 MB, the idf unused) into Buffers that module keeps for
// the life of the process.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Jieba } from '@node-rs/jieba';

/**
 * A new jieba with the default dictionary. Each one costs about 36 MB of native memory, never returned to the system
 * (measured), and 120 ms to build: make it on first use and keep it.
 */
export function jiebaWithDefaultDict(): Jieba {
  // jieba's native module allocates with its own mimalloc, which by default commits its arena up front and asks for
  // transparent huge pages on it: 34 MB of the dictionary's memory sat in 2 MB pages, 3.3 MB more resident than with
  // the arena committed as it is used (measured, same segmentation). mimalloc reads its options from the environment
  // when the module first allocates; an operator's own setting wins.
  process.env.MIMALLOC_ARENA_EAGER_COMMIT ??= '0';
  const require = createRequire(import.meta.url);
  const { Jieba: JiebaClass } = require('@node-rs/jieba') as { Jieba: typeof Jieba };
  return JiebaClass.withDict(fs.readFileSync(require.resolve('@node-rs/jieba/dict.txt')));
}
