// The shared jieba loader: segmentation with the default dictionary, and the allocator setting that keeps its
// dictionary out of transparent huge pages (src/server/jieba.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { jiebaWithDefaultDict } from '../../src/server/jieba.ts';

const before = process.env.MIMALLOC_ARENA_EAGER_COMMIT;
afterEach(() => {
  if (before === undefined) delete process.env.MIMALLOC_ARENA_EAGER_COMMIT;
  else process.env.MIMALLOC_ARENA_EAGER_COMMIT = before;
});

describe('jiebaWithDefaultDict', () => {
  it('segments with the default dictionary and has its allocator commit memory as it is used', () => {
    delete process.env.MIMALLOC_ARENA_EAGER_COMMIT;
    expect(jiebaWithDefaultDict().cut('有机肥料供应江西南昌', false)).toEqual(['有机肥料', '供应', '江西', '南昌']);
    expect(process.env.MIMALLOC_ARENA_EAGER_COMMIT).toBe('0');
  });

  it("leaves an operator's own allocator setting alone", () => {
    process.env.MIMALLOC_ARENA_EAGER_COMMIT = '1';
    jiebaWithDefaultDict();
    expect(process.env.MIMALLOC_ARENA_EAGER_COMMIT).toBe('1');
  });
});
