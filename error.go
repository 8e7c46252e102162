package qunzhu

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. The HTTP layer maps them to statuses, the
// chat layer shows the message, and only EINTERNAL is logged as a fault. A
// package may use finer codes of its own (e.g. the webhook's "bad_signature")
// as long as its own boundary maps them.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	ETOOLARGE     = "too_large"
	ETOOMANY      = "too_many_requests"
	// EUNAVAILABLE is a store that cannot keep what it would acknowledge (its
	// files changed under it, a read-only or failing disk): try again later,
	// elsewhere, or after an operator fixed it.
	EUNAVAILABLE = "unavailable"
)

// Error is an application error whose Message is meant for the end user: for chat
// users it is the Chinese sentence the group sees, for webhooks the human message in
// the JSON error body. It never carries secrets.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("qunzhu error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted user-facing message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, EINTERNAL for any other
// non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of an application error, or a
// generic one for internal and any other errors so internals never leak to users.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "系统内部错误，请稍后再试。"
}
