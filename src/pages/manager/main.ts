// Manager page (see below).
