--- "1 page", "2 pages", "0 shops": one count and its word, for every line
-- the command prints.
return function(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end
