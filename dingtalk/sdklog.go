package dingtalk

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/logger"
)

var sdkLogOnce sync.Once

// installSDKLogger routes the SDK's package-wide logger into ours, once.
// Its debug lines are dropped: they dump the connection-open request, whose
// body holds the client secret.
func installSDKLogger(l *slog.Logger) {
	sdkLogOnce.Do(func() { logger.SetLogger(sdkLogger{l.With("component", "dingtalk-sdk")}) })
}

type sdkLogger struct{ l *slog.Logger }

func (s sdkLogger) Debugf(string, ...interface{}) {}
func (s sdkLogger) Infof(f string, args ...interface{}) {
	s.l.Debug(fmt.Sprintf(f, args...))
}
func (s sdkLogger) Warningf(f string, args ...interface{}) { s.l.Warn(fmt.Sprintf(f, args...)) }
func (s sdkLogger) Errorf(f string, args ...interface{})   { s.l.Warn(fmt.Sprintf(f, args...)) }
func (s sdkLogger) Fatalf(f string, args ...interface{})   { s.l.Error(fmt.Sprintf(f, args...)) }
