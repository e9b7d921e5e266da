/** Chat: messages with their time, newest at the bottom, and a box to write. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Call } from '../lib/call.js';
import { clock } from '../lib/format.js';
import { MAX_CHAT_LENGTH } from '../lib/messages.js';

export function ChatPanel({ call }: { call: Call }) {
  const [text, setText] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const count = call.chat.length;
  useEffect(() => {
    if (count > 0) list.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [count]);
  return (
    <div class="chat">
      <ol class="messages" ref={list} aria-live="polite" aria-label="Messages">
        {call.chat.length === 0 && <li class="muted">No messages yet.</li>}
        {call.chat.map((m) => (
          <li key={m.id} class={m.self ? 'mine' : ''} data-testid="chat-message">
            <span class="who">{m.self ? 'You' : m.name}</span>{' '}
            <time dateTime={new Date(m.at).toISOString()}>{clock(m.at)}</time>
            <p>{m.text}</p>
          </li>
        ))}
      </ol>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          call.sendChat(text);
          setText('');
        }}
      >
        <label class="sr-only" for="chat-input">
          Message
        </label>
        <input
          id="chat-input"
          ref={input}
          class="grow"
          value={text}
          maxLength={MAX_CHAT_LENGTH}
          autocomplete="off"
          placeholder="Write a message"
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" disabled={!text.trim()}>
          Send
        </button>
      </form>
    </div>
  );
}
