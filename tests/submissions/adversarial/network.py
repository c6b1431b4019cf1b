# base: solution
# max_score: 100
# Tries to reach a listener on the grader's loopback and to resolve a name; both must fail.
import socket

try:
    connection = socket.create_connection(("127.0.0.1", {{PORT}}), timeout=2)
    connection.sendall(b"stolen: " + open(__file__).read()[:100].encode())
    connection.close()
    print("CONNECTED")
except OSError as error:
    print("refused", type(error).__name__)
try:
    socket.getaddrinfo("example.com", 80)
    print("RESOLVED")
except OSError as error:
    print("no dns", type(error).__name__)
