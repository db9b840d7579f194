/**
 * A generation's Server-Sent Events, read from a POST (EventSource can only GET): the response
 * body is read as it arrives and cut into `event:`/`data:` blocks.
 */
import { ApiError, api } from '../api/client';
import type { GenerateEvent, GenerateRequest } from '../api/types';

/** The complete blocks of `buffer` as events, and the incomplete rest to keep for later. */
export function parseEvents(buffer: string): { events: GenerateEvent[]; rest: string } {
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: GenerateEvent[] = [];
  for (const block of blocks) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data) events.push(JSON.parse(data) as GenerateEvent);
  }
  return { events, rest };
}

/** Start a generation and hand each event to `onEvent` as it arrives (errors before the stream
 * starts, such as a 409 or a 422, reject as ApiError). */
export async function generateCrew(
  body: GenerateRequest,
  onEvent: (event: GenerateEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const res = await api.request<Response>('POST', '/generate/crew', {
    body,
    raw: true,
    signal,
    headers: { Accept: 'text/event-stream' },
  });
  if (!res.body) throw new ApiError(res.status, 'no_stream', 'The server sent no event stream.');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const parsed = parseEvents(buffer + value);
    buffer = parsed.rest;
    parsed.events.forEach(onEvent);
  }
  parseEvents(`${buffer}\n\n`).events.forEach(onEvent);
}
