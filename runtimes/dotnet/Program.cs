// System.Net.Sockets.TcpListener, as its documentation's example: 127.0.0.1
// and the port from the command line.
using System.Net;
using System.Net.Sockets;

var server = new TcpListener(IPAddress.Parse("127.0.0.1"), int.Parse(args[0]));
server.Start();
while (true)
{
    using var client = server.AcceptTcpClient();
    client.GetStream().ReadByte();
}
