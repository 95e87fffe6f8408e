package sock

// wsaError is one Winsock error code: its name in winerror.h and the POSIX
// errno it stands for. Winsock numbers its errors WSABASEERR (10000) plus the
// 4.3BSD errno of the same name, so most names are the BSD name with "WSA" in
// front. This table has no build tag so that its test runs on any host.
type wsaError struct {
	wsa   string // WSAEADDRINUSE
	posix string // EADDRINUSE; empty when POSIX has no such error
}

// wsaErrors comes from winerror.h ("Windows Sockets Error Codes" on
// learn.microsoft.com).
var wsaErrors = map[int]wsaError{
	10004: {"WSAEINTR", "EINTR"},
	10009: {"WSAEBADF", "EBADF"},
	10013: {"WSAEACCES", "EACCES"},
	10014: {"WSAEFAULT", "EFAULT"},
	10022: {"WSAEINVAL", "EINVAL"},
	10024: {"WSAEMFILE", "EMFILE"},
	10035: {"WSAEWOULDBLOCK", "EWOULDBLOCK"},
	10036: {"WSAEINPROGRESS", "EINPROGRESS"},
	10037: {"WSAEALREADY", "EALREADY"},
	10038: {"WSAENOTSOCK", "ENOTSOCK"},
	10039: {"WSAEDESTADDRREQ", "EDESTADDRREQ"},
	10040: {"WSAEMSGSIZE", "EMSGSIZE"},
	10041: {"WSAEPROTOTYPE", "EPROTOTYPE"},
	10042: {"WSAENOPROTOOPT", "ENOPROTOOPT"},
	10043: {"WSAEPROTONOSUPPORT", "EPROTONOSUPPORT"},
	10044: {"WSAESOCKTNOSUPPORT", "ESOCKTNOSUPPORT"},
	10045: {"WSAEOPNOTSUPP", "EOPNOTSUPP"},
	10046: {"WSAEPFNOSUPPORT", "EPFNOSUPPORT"},
	10047: {"WSAEAFNOSUPPORT", "EAFNOSUPPORT"},
	10048: {"WSAEADDRINUSE", "EADDRINUSE"},
	10049: {"WSAEADDRNOTAVAIL", "EADDRNOTAVAIL"},
	10050: {"WSAENETDOWN", "ENETDOWN"},
	10051: {"WSAENETUNREACH", "ENETUNREACH"},
	10052: {"WSAENETRESET", "ENETRESET"},
	10053: {"WSAECONNABORTED", "ECONNABORTED"},
	10054: {"WSAECONNRESET", "ECONNRESET"},
	10055: {"WSAENOBUFS", "ENOBUFS"},
	10056: {"WSAEISCONN", "EISCONN"},
	10057: {"WSAENOTCONN", "ENOTCONN"},
	10058: {"WSAESHUTDOWN", "ESHUTDOWN"},
	10059: {"WSAETOOMANYREFS", "ETOOMANYREFS"},
	10060: {"WSAETIMEDOUT", "ETIMEDOUT"},
	10061: {"WSAECONNREFUSED", "ECONNREFUSED"},
	10062: {"WSAELOOP", "ELOOP"},
	10063: {"WSAENAMETOOLONG", "ENAMETOOLONG"},
	10064: {"WSAEHOSTDOWN", "EHOSTDOWN"},
	10065: {"WSAEHOSTUNREACH", "EHOSTUNREACH"},
	10066: {"WSAENOTEMPTY", "ENOTEMPTY"},
	10067: {"WSAEPROCLIM", "EPROCLIM"},
	10068: {"WSAEUSERS", "EUSERS"},
	10069: {"WSAEDQUOT", "EDQUOT"},
	10070: {"WSAESTALE", "ESTALE"},
	10071: {"WSAEREMOTE", "EREMOTE"},
	10103: {"WSAECANCELLED", "ECANCELED"}, // POSIX spells it with one L
	// Winsock's own errors, with no POSIX counterpart: reported by number.
	10091: {"WSASYSNOTREADY", ""},
	10092: {"WSAVERNOTSUPPORTED", ""},
	10093: {"WSANOTINITIALISED", ""},
	10101: {"WSAEDISCON", ""},
	10102: {"WSAENOMORE", ""},
	10104: {"WSAEINVALIDPROCTABLE", ""},
	10105: {"WSAEINVALIDPROVIDER", ""},
	10106: {"WSAEPROVIDERFAILEDINIT", ""},
	10107: {"WSASYSCALLFAILURE", ""},
	10108: {"WSASERVICE_NOT_FOUND", ""},
	10109: {"WSATYPE_NOT_FOUND", ""},
	10112: {"WSAEREFUSED", ""},
}

// posixOfWSA returns the POSIX name of a Winsock error code; ok is false for
// codes that are not Winsock's or have no POSIX counterpart.
func posixOfWSA(code int) (name string, ok bool) {
	e := wsaErrors[code]
	return e.posix, e.posix != ""
}
