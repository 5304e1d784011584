"""FollowTheMoney (FtM): the data model of OpenSanctions, yente and Aleph (DESIGN.md §13)."""
