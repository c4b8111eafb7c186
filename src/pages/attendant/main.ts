// Attendant page (see below).
