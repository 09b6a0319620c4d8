module cocoon.test/goprog

go 1.22
