// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import {
  all,
  answer,
  bubble,
  bubbles,
  choose,
  clients,
  dragEvent,
  mount,
  one,
  png,
  press,
  type,
  uploads,
} from '../../testing/chat-window.js';
import { conversation, message, Refusal, until } from '../../testing/fake-server.js';
import { fileMeta } from '../../testing/fake-xhr.js';
import '../index.js';

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

describe('<caas-chat-window>', () => {
  it('uploads chosen files with a progress bar, then sends them as attachments', async () => {
    const m = await mount([message('c1', 1, 'bob', 'send me the photo')]);
    const { el, server, xhrs } = m;
    const input = one<HTMLInputElement>(el, '[data-testid="attach-input"]');
    let picked = 0;
    input.addEventListener('click', (e) => {
      picked++;
      e.preventDefault();
    });
    const attach = one<HTMLButtonElement>(el, '[data-testid="attach-button"]');
    expect(attach.tagName).toBe('BUTTON'); // reachable with Tab, pressed with Enter or Space
    expect(attach.getAttribute('aria-label')).toBe('Attach files');
    attach.click();
    expect(picked).toBe(1);

    choose(el, [png('cat.png', 2000)]);
    await until(() => xhrs.requests.length === 1);
    const xhr = xhrs.last();
    expect(xhr.url).toBe('http://caas.test/v1/files?name=cat.png');
    expect(xhr.headers['Authorization']).toBe('Bearer t');
    await el.updateComplete;
    const bar = (): HTMLProgressElement => one<HTMLProgressElement>(el, '[data-testid="upload-progress"]');
    expect(uploads(el)).toHaveLength(1);
    expect(uploads(el)[0]?.getAttribute('data-state')).toBe('uploading');
    expect(bar().getAttribute('max')).toBe('2000');
    expect(bar().getAttribute('aria-label')).toBe('Upload of cat.png');
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(true);

    xhr.progress(500);
    await until(() => bar().value === 500);
    expect(uploads(el)[0]?.textContent).toContain('25%');
    // Nothing is sent while a file is still uploading, even with text.
    press(type(el, 'look'), 'Enter');
    await el.updateComplete;
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(true);
    expect(server.sent('message.send')).toHaveLength(0);
    type(el, '');
    xhr.progress(2000);
    answer(m, xhr, fileMeta('f-1', 'cat.png', 2000, { content_type: 'image/png', width: 800, height: 400, has_thumbnail: true }));
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'done');
    expect(bar().value).toBe(2000);
    expect(uploads(el)[0]?.getAttribute('data-file-id')).toBe('f-1');
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(false);

    // Enter sends without text; the files go as attachments.
    press(one(el, '[data-testid="composer"]'), 'Enter');
    await until(() => server.sent('message.send').length === 1);
    expect(server.sent('message.send')[0]?.data).toMatchObject({ conversation_id: 'c1', text: '', attachments: ['f-1'] });
    await until(() => all(el, '[data-testid="message"]').length === 2);
    expect(uploads(el)).toHaveLength(0);
    const shown = bubble(el, 2).querySelector<HTMLAnchorElement>('[data-testid="attachment"]')!;
    expect(shown.getAttribute('data-kind')).toBe('image');
    expect(shown.getAttribute('href')).toBe('http://caas.test/v1/files/f-1?token=t');
    const img = shown.querySelector('img')!;
    expect(img.getAttribute('src')).toBe('http://caas.test/v1/files/f-1/thumbnail?token=t');
    expect([img.getAttribute('width'), img.getAttribute('height')]).toEqual(['240', '120']);
    expect(img.getAttribute('alt')).toBe('cat.png');
  });

  it('sends text and files together, and keeps them on a failed send for Retry', async () => {
    const m = await mount([message('c1', 1, 'bob')]);
    const { el, server, xhrs } = m;
    let fail = true;
    const handler = server.handlers.get('message.send')!;
    server.on('message.send', (data, request) => {
      if (fail) throw new Refusal('rate_limited', 'slow down');
      return handler(data, request);
    });
    choose(el, [new File(['%PDF-1.7'], 'report.pdf', { type: 'application/pdf' })]);
    await until(() => xhrs.requests.length === 1);
    answer(m, xhrs.last(), fileMeta('f-9', 'report.pdf', 2500, { content_type: 'application/pdf' }));
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'done');
    press(type(el, 'the report'), 'Enter');
    await until(() => el.shadowRoot!.querySelector('[data-testid="retry-button"]') !== null);
    // The pending message shows its file.
    const pendingFile = one(el, '[data-testid="pending-message"] [data-testid="attachment"]');
    expect(pendingFile.textContent).toContain('report.pdf');
    fail = false;
    one(el, '[data-testid="retry-button"]').click();
    await until(() => bubbles(el).at(-1) === 'the report');
    const sends = server.sent('message.send');
    expect(sends.map((r) => r.data['attachments'])).toEqual([['f-9'], ['f-9']]);
    expect(sends[1]?.data['client_msg_id']).toBe(sends[0]?.data['client_msg_id']);
    const link = bubble(el, 2).querySelector<HTMLAnchorElement>('[data-testid="attachment"]')!;
    expect(link.getAttribute('data-kind')).toBe('file');
    expect(link.getAttribute('href')).toBe('http://caas.test/v1/files/f-9?token=t');
    expect(link.textContent).toContain('report.pdf');
    expect(link.textContent).toContain('2.4 KB');
  });

  it('cancels an upload in flight, and removes an uploaded file', async () => {
    const m = await mount([message('c1', 1, 'bob')]);
    const { el, server, xhrs } = m;
    const errors: unknown[] = [];
    el.addEventListener('caas-error', (e) => errors.push((e as CustomEvent).detail));
    choose(el, [png('a.png'), png('b.png')]);
    await until(() => xhrs.requests.length === 2 && uploads(el).length === 2);
    const [first, second] = xhrs.requests;
    const cancel = uploads(el)[0]!.querySelector<HTMLButtonElement>('[data-testid="upload-cancel"]')!;
    expect(cancel.textContent?.trim()).toBe('Cancel');
    expect(cancel.getAttribute('aria-label')).toBe('Cancel uploading a.png');
    cancel.click();
    await until(() => uploads(el).length === 1);
    expect(first!.aborted).toBe(true);
    answer(m, second!, fileMeta('f-b', 'b.png', 2000));
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'done');
    const remove = uploads(el)[0]!.querySelector<HTMLButtonElement>('[data-testid="upload-cancel"]')!;
    expect(remove.textContent?.trim()).toBe('Remove');
    remove.click();
    await until(() => uploads(el).length === 0);
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(true);
    expect(errors).toEqual([]);
    expect(server.sent('message.send')).toHaveLength(0);
  });

  it('shows a failed upload with Retry, and reports it', async () => {
    const m = await mount([message('c1', 1, 'bob')]);
    const { el, xhrs } = m;
    const errors: Array<{ action: string; error: unknown }> = [];
    el.addEventListener('caas-error', (e) => errors.push((e as CustomEvent<{ action: string; error: unknown }>).detail));
    choose(el, [png('huge.png', 5000)]);
    await until(() => xhrs.requests.length === 1);
    xhrs.last().respond(413, { error: { code: 'payload_too_large', message: 'files are limited to 4096 bytes' } });
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'error');
    expect(uploads(el)[0]?.textContent).toContain('files are limited to 4096 bytes');
    expect(errors[0]?.action).toBe('file.upload');
    expect(errors[0]?.error).toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(true);
    one(el, '[data-testid="upload-retry"]').click();
    await until(() => xhrs.requests.length === 2);
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'uploading');
    answer(m, xhrs.last(), fileMeta('f-h', 'huge.png', 5000));
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'done');
  });

  it('uploads files dropped on the window and images pasted into the composer', async () => {
    const { el, xhrs } = await mount([message('c1', 1, 'bob')]);
    const log = one(el, '[role="log"]');
    // A drag of text is not ours.
    expect(log.dispatchEvent(dragEvent('dragover', [], ['text/plain']))).toBe(true);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="drop-zone"]')).toBeNull();
    // A drag of files shows the drop zone; leaving it hides it.
    expect(log.dispatchEvent(dragEvent('dragenter', [png()]))).toBe(false);
    await el.updateComplete;
    const zone = one(el, '[data-testid="drop-zone"]');
    zone.dispatchEvent(dragEvent('dragleave', [png()]));
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="drop-zone"]')).toBeNull();
    // Dropping uploads.
    log.dispatchEvent(dragEvent('dragover', [png()]));
    await el.updateComplete;
    expect(one(el, '[data-testid="drop-zone"]').dispatchEvent(dragEvent('drop', [png('dropped.png')]))).toBe(false);
    await until(() => xhrs.requests.length === 1);
    expect(xhrs.last().query.get('name')).toBe('dropped.png');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="drop-zone"]')).toBeNull();

    // Pasting: only images are taken; a paste without files is left to the textarea.
    const ta = one(el, '[data-testid="composer"]');
    const paste = (files: File[]): boolean => {
      const e = new Event('paste', { bubbles: true, composed: true, cancelable: true });
      Object.defineProperty(e, 'clipboardData', { value: { files } });
      return ta.dispatchEvent(e);
    };
    expect(paste([])).toBe(true);
    expect(paste([png('image.png'), new File(['x'], 'notes.txt', { type: 'text/plain' })])).toBe(false);
    await until(() => xhrs.requests.length === 2);
    expect(xhrs.last().query.get('name')).toBe('image.png');
    await until(() => uploads(el).length === 2);
  });

  it('takes at most 10 files per message', async () => {
    const { el, xhrs } = await mount([message('c1', 1, 'bob')]);
    choose(el, Array.from({ length: 11 }, (_, i) => png(`p${i}.png`, 10)));
    await until(() => uploads(el).length === 10);
    expect(xhrs.requests).toHaveLength(10);
    expect(one(el, '[data-testid="error"]').textContent).toContain('At most 10 files');
  });

  it('cancels uploads when another conversation opens', async () => {
    const { el, server, xhrs } = await mount([message('c1', 1, 'bob')]);
    choose(el, [png()]);
    await until(() => xhrs.requests.length === 1);
    server.on('conversation.get', () => ({ conversation: conversation('c2', 'group', ['cy', 'ann'], { name: 'Other' }) }));
    el.conversationId = 'c2';
    await until(() => el.shadowRoot!.querySelector('[data-testid="conversation-title"]')?.textContent === 'Other');
    expect(xhrs.last().aborted).toBe(true);
    expect(uploads(el)).toHaveLength(0);
  });
});
