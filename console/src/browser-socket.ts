/** The browser's WebSocket behind the `SocketLike` interface the live client uses. */

import type { SocketLike } from "./live";

const decoder = new TextDecoder();

export class BrowserSocket implements SocketLike {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  private readonly socket: WebSocket;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.binaryType = "arraybuffer";
    this.socket.onopen = (event) => this.onopen?.(event);
    this.socket.onmessage = (event) => {
      const data: unknown = event.data instanceof ArrayBuffer ? decoder.decode(event.data) : event.data;
      this.onmessage?.({ data });
    };
    this.socket.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason });
    this.socket.onerror = (event) => this.onerror?.(event);
  }

  send(data: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }
}
