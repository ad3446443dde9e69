"""Knowledge code: the embedding models, the Chroma index of packs, and the builders that turn a
guide (or the data-science-interviews source) into a pack. Pack types live in `core.pack`."""
