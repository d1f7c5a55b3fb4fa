package guard_test

import "os"

const childEnv = "GUARD_TEST_CHILD"

func childRole() string { return os.Getenv(childEnv) }
