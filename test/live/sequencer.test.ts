// The per-topic sequencer: a reservation holds later messages back until it resolves or times out; a notice whose
// insert outlived its reservation is still delivered (late, in a new place), never dropped.
import { describe, expect, it } from 'vitest';
import type { LiveMessage } from '../../src/live/messages';
import { TopicSequencer } from '../../src/live/sequencer';

function sequencer(reserveTimeoutMs: number) {
  const out: LiveMessage[] = [];
  const timedOut: number[] = [];
  const s = new TopicSequencer({
    now: () => 5,
    emit: (m) => out.push(m),
    reserveTimeoutMs,
    onTimeout: (_topic, seq) => timedOut.push(seq),
  });
  return { s, out, timedOut };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TopicSequencer', () => {
  it('releases the messages held behind a reservation when it times out, and still sends its late publish', async () => {
    const { s, out, timedOut } = sequencer(30);
    const ticket = s.reserve('trip:1');
    s.publish('trip:1', 'position', { p: 1 });
    expect(out).toHaveLength(0);
    await wait(80);
    expect(timedOut).toEqual([ticket.seq]);
    expect(out.map((m) => m.type)).toEqual(['position']);
    // The insert finished after all: the stored notice goes out, in a new place after the position.
    expect(ticket.publish('notice', { id: 9 }, { audience: { guardianId: 7 } })).toBe(ticket.seq + 2);
    expect(out.map((m) => [m.type, m.seq])).toEqual([
      ['position', ticket.seq + 1],
      ['notice', ticket.seq + 2],
    ]);
    expect(out[1]!.audience).toEqual({ guardianId: 7 });
    // Once only.
    expect(ticket.publish('notice', { id: 9 })).toBeUndefined();
    expect(out).toHaveLength(2);
    expect(s.pendingCount()).toBe(0);
  });

  it('sends nothing for a reservation its owner cancelled, even if a publish follows', () => {
    const { s, out } = sequencer(10_000);
    const ticket = s.reserve('trip:1');
    s.publish('trip:1', 'position', { p: 1 });
    ticket.cancel();
    expect(ticket.publish('notice', { id: 9 })).toBeUndefined();
    expect(out.map((m) => m.type)).toEqual(['position']);
  });

  it('keeps a topic in seq order when reservations resolve out of order', () => {
    const { s, out } = sequencer(10_000);
    const a = s.reserve('trip:1');
    const b = s.reserve('trip:1');
    s.publish('trip:1', 'eta', {});
    b.publish('notice', { id: 2 });
    expect(out).toHaveLength(0);
    a.publish('notice', { id: 1 });
    expect(out.map((m) => m.seq)).toEqual([a.seq, b.seq, b.seq + 1]);
  });
});
