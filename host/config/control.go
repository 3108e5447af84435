package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
)

// fileModeHook decodes a FileMode: a YAML number is already the mode
// (YAML reads 0660 as octal); a string (quoted in the file, or from the
// environment) is read as octal, with or without a leading 0 or 0o.
func fileModeHook() mapstructure.DecodeHookFuncType {
	return func(from, to reflect.Type, data any) (any, error) {
		if to != reflect.TypeFor[FileMode]() || from.Kind() != reflect.String {
			return data, nil
		}
		s := strings.TrimPrefix(strings.TrimSpace(data.(string)), "0o")
		if s == "" {
			return FileMode(0), nil
		}
		m, err := strconv.ParseUint(s, 8, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not an octal file mode like 0600", data)
		}
		return FileMode(m), nil
	}
}

// validateControl checks the control keys: a mode that admits only the
// owner (or the owner and a group), and a group only for a socket its
// members can reach.
func (c *Config) validateControl() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	switch m := c.Control.SocketMode; {
	case m == 0, m == 0o600:
	case m == 0o660 && c.Control.SocketGroup != "":
	case m == 0o660:
		bad("control.socket_mode", "0660 needs control.socket_group (the group the socket is shared with)")
	default:
		bad("control.socket_mode", "%#o: want 0600, or 0660 with control.socket_group; other users are never admitted", uint32(m))
	}
	if c.Control.SocketGroup != "" && insideDataDir(c.Control.Socket, c.DataDir) {
		bad("control.socket_group", "members of %s cannot reach a socket inside data_dir (which stays 0700); set control.socket outside it, e.g. /run/openoma/control.sock",
			c.Control.SocketGroup)
	}
	return append(errs, c.validateControlNet()...)
}

// insideDataDir reports whether the socket (empty: the default in the data
// directory) lies inside dataDir.
func insideDataDir(socket, dataDir string) bool {
	if socket == "" {
		return true
	}
	s, err1 := filepath.Abs(socket)
	d, err2 := filepath.Abs(dataDir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, s)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
