"""TCP probe for the datapath tests, run inside test namespaces.

    peer.py serve PORT SECONDS   accept one connection, print the peer's address
    peer.py connect HOST PORT    connect (2 s timeout), say "connected" or why not
    peer.py keep PORT            accept and close connections until killed
    peer.py echo PORT            echo every line of every connection until killed
    peer.py hold HOST PORT       open one connection and keep it: for each line on
                                 stdin, send it and print the echo ("broken" once the
                                 connection is gone)
    peer.py udp-echo PORT        answer every UDP datagram on PORT with the same bytes
                                 and the sender's address, until killed
    peer.py udp-ask HOST PORT WORD
                                 send WORD in a UDP datagram, print the answer (2 s),
                                 or "nothing"
    peer.py probe HOST PORT SECONDS INTERVAL
                                 try to connect every INTERVAL seconds (each with that
                                 timeout) for SECONDS; print how many attempts
                                 connected and how many were made
"""
import time
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


def listener(port):
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("::", port))
    server.listen(64)
    return server


def keep(port):
    server = listener(port)
    print("listening", flush=True)
    while True:
        conn, _ = server.accept()
        conn.close()


def echo(port):
    import threading

    def serve_one(conn):
        with conn, conn.makefile("rwb") as stream:
            for line in stream:
                stream.write(line)
                stream.flush()

    server = listener(port)
    print("listening", flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve_one, args=(conn,), daemon=True).start()


def hold(host, port):
    try:
        conn = socket.create_connection((host, port), timeout=5)
    except OSError as error:
        print(f"failed: {error}", flush=True)
        return 1
    print("connected", flush=True)
    stream = conn.makefile("rwb")
    for line in sys.stdin:
        try:
            stream.write(line.encode())
            stream.flush()
            answer = stream.readline().decode()
        except OSError:
            answer = ""
        print(answer.strip() if answer else "broken", flush=True)
    return 0


def probe(host, port, seconds, interval):
    connected = attempts = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        began = time.monotonic()
        attempts += 1
        try:
            with socket.create_connection((host, port), timeout=interval):
                connected += 1
        except OSError:
            pass
        time.sleep(max(0.0, interval - (time.monotonic() - began)))
    print(connected, attempts, flush=True)
    return 0


def udp_echo(port):
    server = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    server.bind(("::", port))
    print("listening", flush=True)
    while True:
        data, addr = server.recvfrom(2048)
        host = addr[0][len("::ffff:"):] if addr[0].startswith("::ffff:") else addr[0]
        server.sendto(data + b" from " + host.encode(), addr)


def udp_ask(host, port, word):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(2)
        client.sendto(word.encode(), (host, port))
        try:
            data, _ = client.recvfrom(2048)
        except socket.timeout:
            print("nothing")
            return 1
        print(data.decode())
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
    if sys.argv[1] == "keep":
        sys.exit(keep(int(sys.argv[2])))
    if sys.argv[1] == "echo":
        sys.exit(echo(int(sys.argv[2])))
    if sys.argv[1] == "hold":
        sys.exit(hold(sys.argv[2], int(sys.argv[3])))
    if sys.argv[1] == "udp-echo":
        sys.exit(udp_echo(int(sys.argv[2])))
    if sys.argv[1] == "udp-ask":
        sys.exit(udp_ask(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
    if sys.argv[1] == "probe":
        sys.exit(probe(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])))
    sys.exit(connect(sys.argv[2], int(sys.argv[3])))
