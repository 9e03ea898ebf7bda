// The GB 32100-2015 check character of the unified social credit code, against codes companies publish on their
// business licences (Tencent, Alibaba, Huawei, Xiaomi, ...), the standard's own example, and broken variants.
import { describe, expect, it } from 'vitest';
import { normalizeUscc, usccCheckCharacter, usccProblem } from '../../src/server/verification/uscc.ts';

const PUBLISHED = [
  '9144030071526726XG', // 深圳市腾讯计算机系统有限公司
  '91330100716105852F', // 阿里巴巴（中国）有限公司
  '914403001922038216', // 华为技术有限公司
  '91110108551385082Q', // 小米科技有限责任公司
  '91110000802100433B', // 中国石油化工股份有限公司
  '911100001000044477', // 中国石油天然气集团有限公司
  '12100000400010398P', // a public institution (事业单位, category 1)
  '91350100M000100Y43', // the example of GB 32100-2015
];

describe('unified social credit code', () => {
  it('accepts published codes, from any province', () => {
    for (const code of PUBLISHED) expect(usccProblem(code), code).toBeNull();
  });

  it('accepts what people type: lower case, spaces, full-width characters', () => {
    expect(usccProblem('9144 0300 7152 6726 xg')).toBeNull();
    expect(usccProblem('９１３３０１００７１６１０５８５２Ｆ')).toBeNull();
    expect(normalizeUscc(' 91350100m000100y43 ')).toBe('91350100M000100Y43');
  });

  it('refuses a wrong check character, and says so', () => {
    for (const code of PUBLISHED) {
      const wrong = code.slice(0, 17) + (code[17] === '0' ? '1' : '0');
      expect(usccProblem(wrong), wrong).toBe('checkCharacter');
    }
    // One changed digit in the body changes the check character too.
    expect(usccProblem('9144030071526727XG')).toBe('checkCharacter');
    expect(usccCheckCharacter('91350100M000100Y4')).toBe('3');
  });

  it('refuses a wrong length and letters the code never uses (I, O, Z, S, V)', () => {
    expect(usccProblem('9144030071526726X')).toBe('length');
    expect(usccProblem('9144030071526726XGG')).toBe('length');
    expect(usccProblem('91440300715267260I')).toBe('characters');
    expect(usccProblem('9144030071526726XO')).toBe('characters');
    expect(usccProblem('91440300715267S6XG')).toBe('characters');
  });
});
