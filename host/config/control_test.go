package config

import (
	"strings"
	"testing"
)

func TestControlKeys(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		environ  []string
		wantMode FileMode
		wantErr  string
	}{
		{"default is 0600", "", nil, 0o600, ""},
		{"yaml octal number", "control: {socket: /run/openoma/control.sock, socket_group: ops, socket_mode: 0660}", nil, 0o660, ""},
		{"quoted octal", `control: {socket: /run/openoma/control.sock, socket_group: ops, socket_mode: "0660"}`, nil, 0o660, ""},
		{"from the environment", "control: {socket: /run/openoma/control.sock, socket_group: ops}", []string{"OPENOMA_CONTROL_SOCKET_MODE=0660"}, 0o660, ""},
		{"0660 without a group", "control: {socket_mode: 0660}", nil, 0, "control.socket_mode: 0660 needs control.socket_group"},
		{"world readable", `control: {socket_mode: "0666"}`, nil, 0, "control.socket_mode: 0666: want 0600, or 0660 with control.socket_group"},
		{"decimal by mistake", "control: {socket_mode: 660}", nil, 0, "control.socket_mode: 01224"},
		{"not octal", `control: {socket_mode: "rw"}`, nil, 0, `"rw" is not an octal file mode`},
		{"group with the socket in the data dir", "control: {socket_group: ops}", nil, 0, "control.socket_group: members of ops cannot reach a socket inside data_dir"},
		{"group with a socket under the data dir", "control: {socket: data/sub/c.sock, socket_group: ops}", nil, 0, "cannot reach a socket inside data_dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := writeFile(t, dir, "openoma.yaml", "data_dir: data\n"+tt.yaml+"\n")
			c, err := Load(Options{File: file, Environ: tt.environ})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Control.SocketMode != tt.wantMode {
				t.Fatalf("socket_mode = %#o, want %#o", c.Control.SocketMode, tt.wantMode)
			}
		})
	}
}
