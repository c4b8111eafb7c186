import { describe, expect, it } from 'vitest';
import { measureJt808DecodeRate, sampleJt808PositionFrames } from '../../../scripts/bench/jt808-decode-rate';

describe('measureJt808DecodeRate', () => {
  it('measures a positive rate over the sample frames (smoke test; the target is checked by running it alone)', () => {
    expect(sampleJt808PositionFrames().length).toBeGreaterThan(0);
    const r = measureJt808DecodeRate({ seconds: 0.2 });
    expect(r.framesPerS).toBeGreaterThan(1000);
  });
});
