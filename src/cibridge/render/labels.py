"""The words built-in templates use, in English and Chinese (the seed's own language)."""

from __future__ import annotations

_EN = {
    "build": "Build",
    "deploy": "Deployment",
    "alert": "Alert",
    "project": "Project",
    "build_id": "Build",
    "status": "Status",
    "actor": "Triggered by",
    "deployer": "Deployed by",
    "branch": "Branch",
    "tag": "Tag",
    "commit": "Commit",
    "environment": "Environment",
    "version": "Version",
    "started": "Started",
    "finished": "Finished",
    "duration": "Duration",
    "commits": "Commits",
    "more_commits": "… and {n} more",
    "view_run": "View run",
    "view_commit": "View commit",
    "view_environment": "Open environment",
    "pull_request": "Pull request",
    "severity": "Severity",
    "service": "Service",
    "description": "Description",
    "success": "succeeded",
    "failure": "failed",
    "cancelled": "was cancelled",
    "running": "is running",
    "unknown": "finished",
}

_ZH = {
    "build": "构建通知",
    "deploy": "部署通知",
    "alert": "告警通知",
    "project": "项目名称",
    "build_id": "构建ID",
    "status": "状态",
    "actor": "触发者",
    "deployer": "部署者",
    "branch": "分支",
    "tag": "标签",
    "commit": "提交",
    "environment": "环境",
    "version": "版本",
    "started": "开始时间",
    "finished": "结束时间",
    "duration": "耗时",
    "commits": "提交记录",
    "more_commits": "… 以及另外 {n} 个提交",
    "view_run": "查看构建详情",
    "view_commit": "查看提交",
    "view_environment": "查看服务",
    "pull_request": "合并请求",
    "severity": "严重级别",
    "service": "服务",
    "description": "描述",
    "success": "成功",
    "failure": "失败",
    "cancelled": "已取消",
    "running": "进行中",
    "unknown": "已结束",
}

LOCALES = {"en": _EN, "zh-CN": _ZH}


def for_locale(locale: str) -> dict[str, str]:
    return dict(LOCALES.get(locale, _EN))
