import { describe, expect, it } from 'vitest';

import { formatBytes, nearEnd, shortTime } from './format.js';

describe('formatting', () => {
  it('helps with scrolling and times', () => {
    expect(nearEnd({ scrollTop: 100, clientHeight: 300, scrollHeight: 450 })).toBe(true);
    expect(nearEnd({ scrollTop: 0, clientHeight: 300, scrollHeight: 1000 })).toBe(false);
    const now = new Date(2026, 10, 26, 15, 0);
    expect(shortTime(new Date(2026, 10, 26, 9, 5).toISOString(), now)).toBe('09:05');
    expect(shortTime(new Date(2026, 2, 3, 9, 5).toISOString(), now)).toBe('3 Mar');
    expect(shortTime(new Date(2025, 2, 3, 9, 5).toISOString(), now)).toBe('3 Mar 2025');
    expect(shortTime(null)).toBe('');
  });
});

describe('byte counts', () => {
  it('formats byte counts', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(20 * 1024)).toBe('20 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB');
    expect(formatBytes(1.25 * 1024 ** 3)).toBe('1.3 GB');
  });
});
