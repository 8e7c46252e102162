package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// containerUID is the user the Docker image runs as (distroless nonroot).
const containerUID = 65532

// readSecretFile reads a *_file setting. When the file cannot be read it
// says why in the terms of the fix: a secret file created by the host user
// with mode 0600 is unreadable inside the container, which runs as uid
// 65532. The message names the setting and the path, never the content.
func readSecretFile(setting, path string) (string, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		return strings.TrimSpace(string(b)), nil
	case errors.Is(err, fs.ErrPermission):
		return "", fmt.Errorf("%s: %s is not readable by this process (uid %d); the Docker image runs as uid %d: "+
			"chown %d %s (or chgrp %d and chmod 0440) — 文件对运行用户不可读，容器内用户是 uid %d",
			setting, path, os.Geteuid(), containerUID, containerUID, path, containerUID, containerUID)
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s: %s does not exist (文件不存在); in Docker, secrets are mounted at /run/secrets", setting, path)
	}
	return "", fmt.Errorf("%s: %w", setting, err)
}
