import { describe, expect, it } from 'vitest';

import { SerialQueue, msidTracks, speakerLevel } from './media.js';
import { deferred } from '../testing/fake-call.js';
import { serverSdp } from '../testing/fake-rtc.js';

describe('helpers', () => {
  it('msidTracks reads mid -> participant and track, skipping rejected sections', () => {
    const sdp = serverSdp([
      { mid: '0', kind: 'audio' },
      { mid: '2', kind: 'video', participant: 'p-3', track: 't-3-1' },
      { mid: '3', kind: 'video', participant: 'p-3', track: 't-3-2', rejected: true },
    ]);
    expect([...msidTracks(sdp)]).toEqual([['2', { participant_id: 'p-3', track_id: 't-3-1' }]]);
  });

  it('speakerLevel turns -dBov into 0..1', () => {
    expect(speakerLevel(0)).toBe(1);
    expect(speakerLevel(20)).toBe(0.1);
    expect(speakerLevel(127)).toBe(0);
    expect(speakerLevel(-5)).toBe(1);
  });

  it('SerialQueue runs one task at a time, in order, past failures', async () => {
    const q = new SerialQueue();
    const order: string[] = [];
    const held = deferred();
    const a = q.run(async () => {
      order.push('a start');
      await held.promise;
      order.push('a end');
    });
    const b = q.run(async () => {
      order.push('b');
      throw new Error('b failed');
    });
    const c = q.run(async () => {
      order.push('c');
      return 3;
    });
    expect(q.size).toBe(3);
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(['a start']);
    held.resolve();
    await a;
    await expect(b).rejects.toThrow('b failed');
    expect(await c).toBe(3);
    expect(order).toEqual(['a start', 'a end', 'b', 'c']);
    await new Promise((r) => setTimeout(r, 0));
    expect(q.size).toBe(0);
  });
});
