module leakwatch.test/heavy

go 1.19
