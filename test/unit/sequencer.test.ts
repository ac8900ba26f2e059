// The suite order: longest first, never two CPU-heavy suites side by side while a waiting one is left. A suite
// is heavy by the jest process's own CPU figure or by the whole tree's (scripts/suite_cpu.py), whichever is larger.
import { describe, expect, it } from '@jest/globals';
import { isHeavy, plan } from '../support/sequencer.js';

describe('the suite sequencer', () => {
  it('counts a suite heavy by its whole-tree CPU when the jest process saw little of it (orphaned engines)', () => {
    expect(isHeavy({ wallSec: 200, cpuSec: 40 })).toBe(false);
    expect(isHeavy({ wallSec: 200, cpuSec: 40, treeCpuSec: 110 })).toBe(true);
    expect(isHeavy({ wallSec: 30, cpuSec: 10, treeCpuSec: 25 })).toBe(true); // busy 80 % of its wall time
  });

  it('holds a heavy suite back while another heavy one runs, taking a waiting one instead', () => {
    const order = plan([
      { item: 'heavyA', time: { wallSec: 300, cpuSec: 150 } },
      { item: 'heavyB', time: { wallSec: 250, cpuSec: 20, treeCpuSec: 120 } },
      { item: 'waiting', time: { wallSec: 100, cpuSec: 5 } },
    ], 2);
    expect(order).toEqual(['heavyA', 'waiting', 'heavyB']);
  });
});
