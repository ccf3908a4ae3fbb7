-- nav.lua: the sidebar and the previous/next links of one page.
--
-- Reads the page list (metadata `pages`, as in chapter.lua) and the page's
-- PREFIX (metadata `page`); sets the template's `nav-before` and
-- `nav-after` (the list of pages, with this page's table of contents in
-- between, under its own entry) and `prevnext`.  For book.html (metadata
-- `single`), the sidebar is the whole book's table of contents.  A
-- `::: contents` div (in book/index.md) becomes the list of every page.
-- In both lists, a part's title (shared.parts) comes before its first
-- chapter.

package.path = PANDOC_SCRIPT_FILE:match("^(.*/)") .. "?.lua;" .. package.path
local shared = require("shared")
local fail, escape = shared.fail, shared.escape

-- Returns "N Title" or "Title" as HTML.
local function name(p)
  if p.number == "-" then
    return escape(p.title)
  end
  return '<span class="nav-number">' .. p.number .. "</span> " .. escape(p.title)
end

-- Returns the list item that heads a part.
local function part_item(title)
  return '<li class="part">' .. escape(title) .. "</li>"
end

local function raw(html)
  return pandoc.MetaBlocks({pandoc.RawBlock("html", html)})
end

local function Meta(meta)
  local pages = shared.read_pages(pandoc.utils.stringify(meta.pages))
  local single = meta.single ~= nil
  local current = single and "" or pandoc.utils.stringify(meta.page)
  local before, after, at = {'<ol class="pages">'}, {}, nil
  local list = before
  for i, p in ipairs(pages) do
    if not single and shared.part_of(p) then
      list[#list + 1] = part_item(shared.part_of(p))
    end
    if p.prefix == current then
      at = i
      list[#list + 1] = string.format(
        '<li class="current"><a href="%s" aria-current="page">%s</a>', p.html, name(p))
      list = after
      list[#list + 1] = "</li>"
    elseif not single then
      list[#list + 1] = string.format('<li><a href="%s">%s</a></li>', p.html, name(p))
    end
  end
  if single then
    before[#before + 1] = '<li><a href="index.html">One page per chapter</a></li>'
    before[#before + 1] = '<li class="current"><a href="book.html" aria-current="page">The whole book</a>'
    after[#after + 1] = "</li>"
  elseif not at then
    fail("nav: page %s is not in the page list", current)
  end
  if not single then
    after[#after + 1] = '<li class="whole"><a href="book.html">The whole book on one page</a></li>'
  end
  after[#after + 1] = "</ol>"
  meta["nav-before"] = raw(table.concat(before, "\n"))
  meta["nav-after"] = raw(table.concat(after, "\n"))

  if not single then
    local links = {'<nav class="prevnext" aria-label="Previous and next">'}
    local prev, next = pages[at - 1], pages[at + 1]
    if prev then
      links[#links + 1] = string.format('<a class="prev" rel="prev" href="%s">← %s</a>',
                                        prev.html, name(prev))
    end
    if next then
      links[#links + 1] = string.format('<a class="next" rel="next" href="%s">%s →</a>',
                                        next.html, name(next))
    end
    links[#links + 1] = "</nav>"
    meta.prevnext = raw(table.concat(links, "\n"))
  end
  return meta
end

-- Returns the list of pages (the index excepted) as a block of HTML.
local function contents(meta)
  local single = meta.single ~= nil
  local items = {'<ol class="contents">'}
  for _, p in ipairs(shared.read_pages(pandoc.utils.stringify(meta.pages))) do
    if shared.part_of(p) then
      items[#items + 1] = part_item(shared.part_of(p))
    end
    if p.prefix ~= "intro" then
      items[#items + 1] = string.format('<li><a href="%s">%s</a></li>',
        single and ("#" .. p.prefix) or p.html, name(p))
    end
  end
  items[#items + 1] = "</ol>"
  return pandoc.RawBlock("html", table.concat(items, "\n"))
end

function Pandoc(doc)
  doc.meta = Meta(doc.meta)
  return doc:walk({
    Div = function(div)
      if div.classes:includes("contents") then
        return contents(doc.meta)
      end
    end,
  })
end
