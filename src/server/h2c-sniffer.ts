/** Serves plain HTTP/1.1 and h2c (prior knowledge) on one TCP port by sniffing the HTTP/2 connection preface. */
import type { Server as HttpServer } from "node:http";
import type { Http2Server } from "node:http2";
import { createServer } from "node:net";
import type { Server as NetServer, Socket } from "node:net";
import { Duplex } from "node:stream";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * A TCP server that reads until it knows whether a connection starts with the HTTP/2 preface, then hands it to
 * the h2c server or the HTTP/1.1 server. `onHttp2` is told about sockets that carry HTTP/2.
 */
export function createSniffingServer(http1: HttpServer, http2: Http2Server, onHttp2: (socket: Socket) => void): NetServer {
  return createServer((socket) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const n = Math.min(buffered.length, PREFACE.length);
      const isHttp2 = buffered.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isHttp2 && buffered.length < PREFACE.length) return;
      socket.off("data", onData);
      socket.pause();
      if (isHttp2) {
        onHttp2(socket);
        http2.emit("connection", prefixed(socket, buffered));
      } else {
        // The HTTP/1.1 parser reads bytes pushed back into the socket's readable buffer.
        socket.unshift(buffered);
        http1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
}

/**
 * A duplex that yields `head` and then the socket's bytes. The HTTP/2 core reads a net.Socket's handle directly
 * and would miss bytes already read, so it gets this stream instead.
 */
function prefixed(socket: Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  duplex.push(head);
  socket.on("data", (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on("end", () => duplex.push(null));
  socket.on("close", () => duplex.destroy());
  socket.resume();
  return duplex;
}
