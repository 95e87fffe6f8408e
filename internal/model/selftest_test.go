package model

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// bindWildcard transcribes the expectations of Linux's selftest
// tools/testing/selftests/net/bind_wildcard.c (mainline, 2024): per
// variant, two TCP sockets (with no option, then both with SO_REUSEADDR,
// then both with SO_REUSEPORT), then six plain ones on 0.0.0.0, 127.0.0.1,
// ::, ::1, ::ffff:0.0.0.0 and ::ffff:127.0.0.1, each bound in order on the
// first one's port. '0' is a bind that succeeds, 'E' one that fails with
// EADDRINUSE; the options' column holds for both option tests, as the
// selftest's expected_reuse_errno does. 44 variants, 3 tests each: the
// selftest's 132 cases, 1056 binds.
var bindWildcard = []struct{ name, first, second, plain, reuse string }{
	{"v4_any_v4_local", "0.0.0.0", "127.0.0.1", "0EEEE0EE", "00EEE0EE"},
	{"v4_local_v4_any", "127.0.0.1", "0.0.0.0", "0EEEE0EE", "00EEE0EE"},
	{"v4_any_v6_any", "0.0.0.0", "::", "0EEEE0EE", "00EEEEEE"},
	{"v4_any_v6_any_only", "0.0.0.0", ":: v6only", "00EEEEEE", "00EEEEEE"},
	{"v4_any_v6_local", "0.0.0.0", "::1", "00EEEEEE", "00EEEEEE"},
	{"v4_any_v6_v4mapped_any", "0.0.0.0", "::ffff:0.0.0.0", "0EEEE0EE", "00EEE0EE"},
	{"v4_any_v6_v4mapped_local", "0.0.0.0", "::ffff:127.0.0.1", "0EEEE0EE", "00EEE0EE"},
	{"v4_local_v6_any", "127.0.0.1", "::", "0EEEE0EE", "00EEEEEE"},
	{"v4_local_v6_any_only", "127.0.0.1", ":: v6only", "00EEEEEE", "00EEEEEE"},
	{"v4_local_v6_local", "127.0.0.1", "::1", "00EEEEEE", "00EEEEEE"},
	{"v4_local_v6_v4mapped_any", "127.0.0.1", "::ffff:0.0.0.0", "0EEEE0EE", "00EEE0EE"},
	{"v4_local_v6_v4mapped_local", "127.0.0.1", "::ffff:127.0.0.1", "0EEEE0EE", "00EEE0EE"},
	{"v6_any_v4_any", "::", "0.0.0.0", "0EEEEEEE", "00EEEEEE"},
	{"v6_any_only_v4_any", ":: v6only", "0.0.0.0", "00EEEEEE", "00EEEEEE"},
	{"v6_any_v4_local", "::", "127.0.0.1", "0EEEEEEE", "00EEEEEE"},
	{"v6_any_only_v4_local", ":: v6only", "127.0.0.1", "00EEEEEE", "00EEEEEE"},
	{"v6_local_v4_any", "::1", "0.0.0.0", "00EEEEEE", "00EEEEEE"},
	{"v6_local_v4_local", "::1", "127.0.0.1", "00EEEEEE", "00EEEEEE"},
	{"v6_v4mapped_any_v4_any", "::ffff:0.0.0.0", "0.0.0.0", "0EEEE0EE", "00EEE0EE"},
	{"v6_v4mapped_any_v4_local", "::ffff:0.0.0.0", "127.0.0.1", "0EEEE0EE", "00EEE0EE"},
	{"v6_v4mapped_local_v4_any", "::ffff:127.0.0.1", "0.0.0.0", "0EEEE0EE", "00EEE0EE"},
	{"v6_v4mapped_local_v4_local", "::ffff:127.0.0.1", "127.0.0.1", "0EEEE0EE", "00EEE0EE"},
	{"v6_any_v6_any", "::", "::", "0EEEEEEE", "00EEEEEE"},
	{"v6_any_only_v6_any", ":: v6only", "::", "0E0EEEEE", "00EEEEEE"},
	{"v6_any_v6_any_only", "::", ":: v6only", "0EEEEEEE", "00EEEEEE"},
	{"v6_any_only_v6_any_only", ":: v6only", ":: v6only", "0E0EEEEE", "000EEEEE"},
	{"v6_any_v6_local", "::", "::1", "0EEEEEEE", "00EEEEEE"},
	{"v6_any_only_v6_local", ":: v6only", "::1", "0E0EEEEE", "000EEEEE"},
	{"v6_any_v6_v4mapped_any", "::", "::ffff:0.0.0.0", "0EEEEEEE", "00EEEEEE"},
	{"v6_any_only_v6_v4mapped_any", ":: v6only", "::ffff:0.0.0.0", "00EEEEEE", "00EEEEEE"},
	{"v6_any_v6_v4mapped_local", "::", "::ffff:127.0.0.1", "0EEEEEEE", "00EEEEEE"},
	{"v6_any_only_v6_v4mapped_local", ":: v6only", "::ffff:127.0.0.1", "00EEEEEE", "00EEEEEE"},
	{"v6_local_v6_any", "::1", "::", "0E0EEEEE", "00EEEEEE"},
	{"v6_local_v6_any_only", "::1", ":: v6only", "0E0EEEEE", "000EEEEE"},
	{"v6_local_v6_v4mapped_any", "::1", "::ffff:0.0.0.0", "00EEEEEE", "00EEEEEE"},
	{"v6_local_v6_v4mapped_local", "::1", "::ffff:127.0.0.1", "00EEEEEE", "00EEEEEE"},
	{"v6_v4mapped_any_v6_any", "::ffff:0.0.0.0", "::", "0EEEE0EE", "00EEEEEE"},
	{"v6_v4mapped_any_v6_any_only", "::ffff:0.0.0.0", ":: v6only", "00EEEEEE", "00EEEEEE"},
	{"v6_v4mapped_any_v6_local", "::ffff:0.0.0.0", "::1", "00EEEEEE", "00EEEEEE"},
	{"v6_v4mapped_any_v6_v4mapped_local", "::ffff:0.0.0.0", "::ffff:127.0.0.1", "0EEEE0EE", "00EEE0EE"},
	{"v6_v4mapped_loopback_v6_any", "::ffff:127.0.0.1", "::", "0EEEE0EE", "00EEEEEE"},
	{"v6_v4mapped_loopback_v6_any_only", "::ffff:127.0.0.1", ":: v6only", "00EEEEEE", "00EEEEEE"},
	{"v6_v4mapped_loopback_v6_local", "::ffff:127.0.0.1", "::1", "00EEEEEE", "00EEEEEE"},
	{"v6_v4mapped_loopback_v6_v4mapped_any", "::ffff:127.0.0.1", "::ffff:0.0.0.0", "0EEEE0EE", "00EEE0EE"},
}

// BindWildcardArrangement is the selftest case as an arrangement.
func bindWildcardArrangement(first, second, option string) string {
	clauses := []string{"tcp " + first + option, "tcp " + second + option}
	for _, a := range []string{"0.0.0.0", "127.0.0.1", "::", "::1", "::ffff:0.0.0.0", "::ffff:127.0.0.1"} {
		clauses = append(clauses, "tcp "+a)
	}
	return strings.Join(clauses, "; ")
}

// TestModelAgreesWithBindWildcardSelftest: every bind of the selftest, as
// the model predicts it.
func TestModelAgreesWithBindWildcardSelftest(t *testing.T) {
	if len(bindWildcard) != 44 {
		t.Fatalf("%d variants transcribed, the selftest has 44", len(bindWildcard))
	}
	for _, v := range bindWildcard {
		for _, test := range []struct{ name, option, want string }{
			{"plain", "", v.plain}, {"reuseaddr", " SO_REUSEADDR", v.reuse}, {"reuseport", " SO_REUSEPORT", v.reuse},
		} {
			t.Run(v.name+"/"+test.name, func(t *testing.T) {
				text := bindWildcardArrangement(v.first, v.second, test.option)
				a, err := matrix.ParseArrangement(text)
				if err != nil {
					t.Fatal(err)
				}
				var got strings.Builder
				for _, s := range Predict(a) {
					switch s.Outcome {
					case matrix.OK:
						got.WriteByte('0')
					case matrix.Failed("bind", "EADDRINUSE"):
						got.WriteByte('E')
					default:
						got.WriteString(fmt.Sprintf("[%s]", s.Outcome))
					}
				}
				if got.String() != test.want {
					t.Errorf("%s\nmodel %s, selftest %s", text, got.String(), test.want)
				}
			})
		}
	}
}
