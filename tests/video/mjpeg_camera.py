"""A live MJPEG-over-HTTP camera served on 127.0.0.1 for tests: it can go away and come back on the same port."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

BOUNDARY = b"frame"


class MjpegCamera:
    """An HTTP camera on 127.0.0.1 sending `fps` JPEG frames a second (grey levels cycling) as
    multipart/x-mixed-replace, until stopped; it can start again on the same port."""

    def __init__(self, fps: float = 30.0, size: tuple[int, int] = (320, 240)) -> None:
        self.fps = fps
        self.port = 0
        self.jpegs = [
            cv2.imencode(".jpg", np.full((size[1], size[0], 3), level, np.uint8))[1].tobytes()
            for level in range(0, 250, 25)
        ]
        self._server: ThreadingHTTPServer | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def start(self) -> None:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
                self.end_headers()
                index = 0
                try:
                    while not camera._stopping.is_set():
                        jpeg = camera.jpegs[index % len(camera.jpegs)]
                        head = b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % (BOUNDARY, len(jpeg))
                        self.wfile.write(head + jpeg + b"\r\n")
                        index += 1
                        time.sleep(1 / camera.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        assert self._server is not None
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._server = None
