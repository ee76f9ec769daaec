"""TCP probe for the datapath tests, run inside test namespaces.

    peer.py serve PORT SECONDS   accept one connection, print the peer's address
    peer.py connect HOST PORT    connect (2 s timeout), say "connected" or why not
"""
import socket
import sys


def serve(port, seconds):
    family = socket.AF_INET6
    with socket.socket(family, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("::", port))
        server.listen(1)
        print("listening", flush=True)
        server.settimeout(seconds)
        try:
            conn, addr = server.accept()
        except socket.timeout:
            print("nobody", flush=True)
            return 1
        host = addr[0]
        if host.startswith("::ffff:"):
            host = host[len("::ffff:"):]
        print(host, flush=True)
        conn.close()
        return 0


def connect(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            print("connected")
            return 0
    except OSError as error:
        print(f"failed: {error}")
        return 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        sys.exit(serve(int(sys.argv[2]), float(sys.argv[3])))
    sys.exit(connect(sys.argv[2], int(sys.argv[3])))
