package model

import (
	"strings"
	"testing"
)

// TestValidateIDEveryByteEveryPosition checks the eight-at-a-time fast path
// against the rule itself: every byte value at every position of a 16-byte
// ID (two words, so both the word loop and a word boundary are exercised).
func TestValidateIDEveryByteEveryPosition(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 16; pos++ {
			b := []byte("abcdefghijklmnop")
			b[pos] = byte(c)
			want := c >= 0x20 && c != 0x7f && c < 0x80 // a lone byte >= 0x80 is invalid UTF-8
			if got := ValidateID(string(b)) == nil; got != want {
				t.Fatalf("byte %#x at %d: valid=%v, want %v", c, pos, got, want)
			}
		}
	}
}

func TestValidateIDRules(t *testing.T) {
	cases := map[string]bool{
		"":                              false,
		"a":                             true,
		strings.Repeat("x", MaxIDLen):   true,
		strings.Repeat("x", MaxIDLen+1): false,
		"server_1":                      true,
		"héllo wörld, 12345":            true,
		"héllo\x00wörld":                false,
		"héllo wörld\x7f":               false,
		"ok\xff\xfe":                    false,
		"tab\there":                     false,
		"日本語のサーバー":                      true,
	}
	for id, want := range cases {
		if got := ValidateID(id) == nil; got != want {
			t.Errorf("ValidateID(%q) valid=%v, want %v", id, got, want)
		}
	}
}
