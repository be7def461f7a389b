module leakwatch.test/target

go 1.19
