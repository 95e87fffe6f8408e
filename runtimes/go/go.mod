module refserver

go 1.21
