"""节点督查: milestone supervision by the organs' work committee (机关工委)."""
