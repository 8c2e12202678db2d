"""No tables of its own: what Meta holds is kept in the kernel ledger (see ``catalog``)."""
