import { describe, expect, it } from 'vitest';

import { attachmentKind, dragHasFiles, fitWithin } from './attachments.js';

describe('attachments', () => {
  const a = (content_type: string, dims?: [number, number]) => ({
    id: 'f',
    name: 'f',
    content_type,
    size: 1,
    ...(dims ? { width: dims[0], height: dims[1] } : {}),
  });

  it('shows PNG and JPEG with dimensions as thumbnails, other images as files, the rest as links', () => {
    expect(attachmentKind(a('image/png', [10, 10]))).toBe('thumbnail');
    expect(attachmentKind(a('image/jpeg', [10, 10]))).toBe('thumbnail');
    expect(attachmentKind(a('image/png'))).toBe('image'); // the server could not decode it: no thumbnail
    expect(attachmentKind(a('image/gif'))).toBe('image');
    expect(attachmentKind(a('image/webp', [10, 10]))).toBe('image');
    expect(attachmentKind(a('application/pdf'))).toBe('file');
    expect(attachmentKind(a('text/plain'))).toBe('file');
  });

  it('fits image sizes in a box without enlarging them', () => {
    expect(fitWithin(1000, 500)).toEqual({ width: 240, height: 120 });
    expect(fitWithin(500, 1000)).toEqual({ width: 120, height: 240 });
    expect(fitWithin(100, 50)).toEqual({ width: 100, height: 50 });
    expect(fitWithin(10_000, 1)).toEqual({ width: 240, height: 1 });
    expect(fitWithin(300, 300, 100)).toEqual({ width: 100, height: 100 });
    expect(fitWithin(0, 10)).toEqual({ width: 240, height: 240 });
  });

  it('tells a drag of files from other drags', () => {
    expect(dragHasFiles({ types: ['Files'] })).toBe(true);
    expect(dragHasFiles({ types: ['text/plain', 'Files'] })).toBe(true);
    expect(dragHasFiles({ types: ['text/uri-list'] })).toBe(false);
    expect(dragHasFiles(null)).toBe(false);
    expect(dragHasFiles(undefined)).toBe(false);
  });
});
