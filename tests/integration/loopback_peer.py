"""A foreign server for the relay tests: a TCP listener on a free 127.0.0.1 port that runs
`converse(conn)` in a thread per connection and records the connections it accepted. Subclasses
script the conversation; they set their own attributes before calling __init__, which starts the
accept loop."""
import socket
import threading


class LoopbackPeer:
    timeout = 120  # seconds a connection may stay silent before the peer gives up on it

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.open = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.open.append(conn)
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        conn.settimeout(self.timeout)
        try:
            self.converse(conn)
        except (OSError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def converse(self, conn):
        raise NotImplementedError

    def close(self):
        self.sock.close()
        for c in self.open:
            try:
                c.close()
            except OSError:
                pass
