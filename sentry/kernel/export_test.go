package kernel

// The credential rules, exported for the tests of package kernel_test,
// which check them one by one without a task.

func (c *Credentials) Setuid(uid uint32) (*Credentials, error) { return c.setID(userIDs, uid) }
func (c *Credentials) Setgid(gid uint32) (*Credentials, error) { return c.setID(groupIDs, gid) }
func (c *Credentials) Setreuid(r, e uint32) (*Credentials, error) {
	return c.setREID(userIDs, r, e)
}
func (c *Credentials) Setregid(r, e uint32) (*Credentials, error) {
	return c.setREID(groupIDs, r, e)
}
func (c *Credentials) Setresuid(r, e, s uint32) (*Credentials, error) {
	return c.setRESID(userIDs, r, e, s)
}
func (c *Credentials) Setresgid(r, e, s uint32) (*Credentials, error) {
	return c.setRESID(groupIDs, r, e, s)
}
func (c *Credentials) Setfsuid(uid uint32) (*Credentials, uint32) { return c.setFSID(userIDs, uid) }
func (c *Credentials) Setfsgid(gid uint32) (*Credentials, uint32) { return c.setFSID(groupIDs, gid) }
func (c *Credentials) Setgroups(g []uint32) (*Credentials, error) { return c.setGroups(g) }
