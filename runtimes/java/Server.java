// java.net.ServerSocket, as its documentation shows it: new ServerSocket(port)
// on every interface, connections accepted one by one.
import java.net.ServerSocket;
import java.net.Socket;

public class Server {
    public static void main(String[] args) throws Exception {
        try (ServerSocket server = new ServerSocket(Integer.parseInt(args[0]))) {
            while (true) {
                Socket conn = server.accept();
                conn.getInputStream().read();
            }
        }
    }
}
