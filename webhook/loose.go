package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Field types as the robots' real senders write them. The WeCom and DingTalk
// servers are lenient: dingtalk-robot-sender sends "btnOrientation": 0 and
// "hideAvatar": 1 as numbers where the documentation shows "0", other
// senders write "isAtAll": "true" or a mobile as a JSON number. A sender that
// works against the original must work here, so these types take what the
// original takes and refuse only what no reading makes sense of (an object
// where a string belongs).

// LooseString is a string field that also accepts a number or a boolean, kept
// as its JSON text ("btnOrientation": 0 reads as "0"); null reads as "".
type LooseString string

// UnmarshalJSON accepts a string, a number, a boolean or null.
func (s *LooseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = LooseString(v)
	case string(b) == "null":
		*s = ""
	case string(b) == "true" || string(b) == "false" || isJSONNumber(b):
		*s = LooseString(b)
	default:
		return errors.New("want a string or a number")
	}
	return nil
}

// LooseBool is a boolean field that also accepts 0/1 and the strings
// "true"/"false"/"0"/"1" (and "" or null as false).
type LooseBool bool

// UnmarshalJSON accepts what LooseBool documents.
func (v *LooseBool) UnmarshalJSON(b []byte) error {
	var s LooseString
	if err := s.UnmarshalJSON(b); err != nil {
		return errors.New("want true or false")
	}
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "true", "1":
		*v = true
	case "false", "0", "":
		*v = false
	default:
		return errors.New("want true or false")
	}
	return nil
}

// LooseStrings is a list of ids or mobiles: each element a string or a
// number (a mobile sent as 13800001111), and a single value instead of a
// list is taken as a list of one; null is the empty list.
type LooseStrings []string

// UnmarshalJSON accepts what LooseStrings documents.
func (l *LooseStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		var s LooseString
		if err := s.UnmarshalJSON(b); err != nil {
			return errors.New("want a list of strings")
		}
		if s == "" {
			*l = nil
		} else {
			*l = LooseStrings{string(s)}
		}
		return nil
	}
	var raw []LooseString
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("want a list of strings")
	}
	out := make(LooseStrings, 0, len(raw))
	for _, s := range raw {
		if s != "" {
			out = append(out, string(s))
		}
	}
	*l = out
	return nil
}

func isJSONNumber(b []byte) bool {
	_, err := strconv.ParseFloat(string(b), 64)
	return err == nil && json.Valid(b)
}
