package plugins

import "time"

// Status is what `openoma-host plugins` shows of one plugin.
type Status struct {
	Name           string   `json:"name"`
	Path           string   `json:"path,omitempty"`
	Hints          []string `json:"hints"`
	MaxConcurrency int      `json:"max_concurrency,omitempty"`
	Running        bool     `json:"running"`
	PID            int      `json:"pid,omitempty"`
	// Instance is the running process's launch id, the one the host stamps
	// on the events it records (execution.MetadataPluginInstance).
	Instance    string    `json:"instance,omitempty"`
	Version     string    `json:"version,omitempty"`
	ServedHints []string  `json:"served_hints,omitempty"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	Restarts    int       `json:"restarts"`
	LastExit    string    `json:"last_exit,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
}

// Status reports every configured plugin, in configuration order.
func (m *Manager) Status() []Status {
	out := make([]Status, 0, len(m.order))
	for _, name := range m.order {
		p := m.procs[name]
		p.mu.Lock()
		s := Status{
			Name: name, Path: p.path, Hints: p.spec.Hints, MaxConcurrency: p.spec.MaxConcurrency,
			Restarts: p.restarts, LastExit: p.lastExit,
		}
		if p.startErr != nil {
			s.LastError = p.startErr.Error()
		}
		if p.cur != nil {
			s.Running = true
			s.PID = p.cur.id.PID
			s.Instance = p.cur.id.ID
			s.Version = p.cur.info.Version
			s.ServedHints = p.cur.info.Hints
			s.StartedAt = p.cur.started
		}
		p.mu.Unlock()
		out = append(out, s)
	}
	return out
}

// Specs returns the configured plugins, in configuration order.
func (m *Manager) Specs() []Spec {
	out := make([]Spec, 0, len(m.order))
	for _, name := range m.order {
		out = append(out, m.procs[name].spec)
	}
	return out
}
