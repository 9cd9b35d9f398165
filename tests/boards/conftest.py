from __future__ import annotations

import pytest

from cibridge.clients.azure_devops import BoardsClient
from cibridge.demo.standins import AZURE_DEVOPS_PAT, AzureBoards, StandIns, boards_of
from cibridge.demo.standins.azure_boards import ORGANIZATION, PROJECT
from cibridge.http.auth import Basic
from cibridge.http.transport import Transport


@pytest.fixture
def boards(stand_ins: StandIns) -> AzureBoards:
    return boards_of(stand_ins)


@pytest.fixture
def client(stand_ins: StandIns, transport: Transport) -> BoardsClient:
    base = f"{stand_ins.base}{AzureBoards.prefix}/{ORGANIZATION}"
    return BoardsClient(transport, base, PROJECT, Basic("", AZURE_DEVOPS_PAT))
