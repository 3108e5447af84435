package plugins

import "github.com/openoma/openoma/store"

func storeOpts() store.AppendOptions { return store.AppendOptions{} }
