package check

import (
	"strconv"
	"strings"

	"github.com/shardlab/shardlab/model"
)

// chooser draws an integer in [0, n): rand.Rand.IntN for workloads, a rapid
// draw for the state machines (which then shrink towards 0). Every choice
// below puts the simplest option at 0.
type chooser func(n int, label string) int

// IDShape is one of the shapes generated IDs take, so that bugs that depend
// on an ID's length or bytes are exercised. ShapePlain is the simplest and
// what rapid shrinks towards.
type IDShape int

// The shapes of generated IDs.
const (
	ShapePlain      IDShape = iota // "s3.1"
	ShapeShort                     // 1 or 2 bytes
	ShapeMaxLen                    // exactly model.MaxIDLen bytes
	ShapeMaxLenLess                // model.MaxIDLen - 1 bytes
	ShapeSharedLong                // a long prefix shared by every ID of the shape, then the name
	ShapeLastByte                  // the previous ID of the same kind with only its last byte changed
	ShapeMultiByte                 // multi-byte UTF-8 (accents, emoji, a C1 control), some ending at the limit
	numShapes
)

var shapeNames = [numShapes]string{"plain", "short", "max-len", "max-len-1", "shared-long-prefix", "last-byte", "multi-byte"}

// String names the shape.
func (s IDShape) String() string {
	if s >= 0 && s < numShapes {
		return shapeNames[s]
	}
	return "shape(" + strconv.Itoa(int(s)) + ")"
}

// sharedPrefix is the long prefix ShapeSharedLong IDs share: 200 bytes, so
// an implementation that keys on a bounded prefix of the ID confuses them.
var sharedPrefix = strings.Repeat("mcp.example.org/registry/", 8)

// multiBytes are the runes ShapeMultiByte IDs are built from: two, three
// and four bytes long, and U+0085, a C1 control the model allows.
var multiBytes = []string{"é", "ß", "€", "名", "🚀", "\u0085"}

// shortRunes are the single bytes ShapeShort IDs use.
const shortRunes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@~ "

// shapedID returns an ID of the given shape for key j of the given kind
// ('s' or 't') and cluster. prev is the previous ID of the same kind ("" for
// the first), used by ShapeLastByte. salt, when not 0, makes a different ID
// of the same shape (to look for one in a given partition). The result is
// always a valid ID.
func shapedID(shape IDShape, kind byte, cluster, j int, prev string, salt int) string {
	name := string(kind) + strconv.Itoa(cluster) + "." + strconv.Itoa(j)
	if salt != 0 {
		name += "~" + strconv.Itoa(salt)
	}
	pad := func(s string, n int) string {
		if len(s) >= n {
			return s[:n]
		}
		return s + strings.Repeat("x", n-len(s))
	}
	switch shape {
	case ShapeShort:
		k := cluster*131 + j*17 + salt*7 + int(kind)
		if k%2 == 0 {
			return string(shortRunes[k%len(shortRunes)])
		}
		return string(shortRunes[k%len(shortRunes)]) + string(shortRunes[(k/len(shortRunes))%len(shortRunes)])
	case ShapeMaxLen:
		return pad(name+"|", model.MaxIDLen)
	case ShapeMaxLenLess:
		return pad(name+"|", model.MaxIDLen-1)
	case ShapeSharedLong:
		return sharedPrefix + name
	case ShapeLastByte:
		if prev == "" || prev[len(prev)-1] >= 0x7e || prev[len(prev)-1] < 0x20 {
			return sharedPrefix + name + "a"
		}
		return prev[:len(prev)-1] + string(prev[len(prev)-1]+1)
	case ShapeMultiByte:
		r := multiBytes[(cluster+j+salt)%len(multiBytes)]
		switch (j + salt) % 3 {
		case 0:
			return r + name + r
		case 1:
			// Ends exactly at the limit with a multi-byte rune, so a
			// byte-wise truncation to the limit would split it.
			s := name + "|"
			for len(s)+len(r) <= model.MaxIDLen {
				s += r
			}
			return pad(s, model.MaxIDLen-len(r)) + r
		default:
			return strings.Repeat(r, 3) + name
		}
	}
	return name
}

// invalidIDs are the invalid IDs generated beside valid ones: empty, one
// byte over the limit (ASCII, and multi-byte), control characters, a
// newline (which would break list results), DEL, invalid UTF-8 and a
// multi-byte rune cut short.
var invalidIDs = []string{
	"",
	strings.Repeat("y", model.MaxIDLen+1),
	strings.Repeat("é", model.MaxIDLen/2) + "é", // 256 bytes
	"s\n1",
	"\x00",
	"s\x7f",
	"s\t1",
	"s\xff1",
	"s" + "€"[:2],
}

// keyTable is the key space of one generated history or rapid case: the
// servers and transports of each cluster.
type keyTable struct {
	servers, transports [][]string // [cluster][j]
}

// keyLayout says how to place generated IDs: when partitionOf is set, key
// number k of the history (servers and transports alike, cluster by
// cluster) is looked for in partition (offset + k) mod partitions, so that
// the keys of one history spread over every partition they can and the
// histories of a campaign, with their own offsets, cover them all.
type keyLayout struct {
	partitionOf func(string) int
	partitions  int
	offset      int
}

// makeKeys draws the key table: shapes from choose (ShapePlain only when
// plain), IDs unique across the table, placed by layout.
func makeKeys(choose chooser, clusters, servers, transports int, plain bool, layout keyLayout) keyTable {
	var kt keyTable
	used := map[string]bool{}
	k := 0
	draw := func(kind byte, c, j int, prev string) string {
		shape := ShapePlain
		if !plain {
			shape = IDShape(choose(int(numShapes), "shape"))
		}
		var target = -1
		if layout.partitionOf != nil && layout.partitions > 0 {
			target = (layout.offset + k) % layout.partitions
		}
		k++
		best := ""
		for salt := 0; salt < 8*max(1, layout.partitions) && salt < 4096; salt++ {
			id := shapedID(shape, kind, c, j, prev, salt)
			if used[id] || model.ValidateID(id) != nil {
				continue
			}
			if best == "" {
				best = id
			}
			if target < 0 || layout.partitionOf(id) == target {
				best = id
				break
			}
		}
		if best == "" {
			// Every candidate of the shape was taken: the plain name with
			// its cluster and index is unique.
			best = shapedID(ShapePlain, kind, c, j, "", 0)
		}
		used[best] = true
		return best
	}
	for c := range clusters {
		var ss, ts []string
		prev := ""
		for j := range servers {
			prev = draw('s', c, j, prev)
			ss = append(ss, prev)
		}
		prev = ""
		for j := range transports {
			prev = draw('t', c, j, prev)
			ts = append(ts, prev)
		}
		kt.servers = append(kt.servers, ss)
		kt.transports = append(kt.transports, ts)
	}
	return kt
}
